<%inherit file="layout.mako"/>
<%block name="title">Customize ${channel.display_name} · ${settings.instance_name}</%block>
<section class="form-page wide">
<h1>Customize “${channel.display_name}”</h1>
% if notice:
<p class="notice" role="status">${notice}</p>
% endif
<form method="post" action="/c/${channel.name}/edit" enctype="multipart/form-data">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <label>Display name <input name="displayName" value="${channel.display_name}" required maxlength="120"></label>
  % if errors.get('displayName'):
  <p class="field-error">${errors['displayName']}</p>
  % endif
  <label>Description (Markdown) <textarea name="description" rows="5">${channel.description}</textarea></label>
  % if errors.get('description'):
  <p class="field-error">${errors['description']}</p>
  % endif
  <label>Support text (Markdown: how to support you) <textarea name="support" rows="2">${channel.support}</textarea></label>
  % if errors.get('support'):
  <p class="field-error">${errors['support']}</p>
  % endif
  <label>Links (one per line: label then address) <textarea name="links" rows="3" placeholder="Website https://example.org">${links}</textarea></label>
  % if errors.get('links'):
  <p class="field-error">${errors['links']}</p>
  % endif
  <label class="check"><input type="checkbox" name="hideCatalogue" ${'checked' if channel.hide_catalogue else ''}>
    Hide my back catalogue: visitors, feeds and other servers see only videos from the last ${window} days.
    Followers still get every new video, and a shared link to any video still plays.</label>
  <div class="row">
    <label>Avatar (PNG, JPEG, WebP, GIF; square works best)
      <input type="file" name="avatarfile" accept="image/png,image/jpeg,image/webp,image/gif"></label>
    <label>Banner (wide, about 6:1)
      <input type="file" name="bannerfile" accept="image/png,image/jpeg,image/webp,image/gif"></label>
  </div>
  % if errors.get('avatar') or errors.get('banner'):
  <p class="field-error" role="alert">${errors.get('avatar') or errors.get('banner')}</p>
  % endif
  <p>
  % for a in avatars[:1]:
    <img src="${a['path']}" alt="Current avatar" width="48" height="48" class="avatar">
  % endfor
  % for b in banners[:1]:
    <img src="${b['path']}" alt="Current banner" width="300" height="50">
  % endfor
  </p>
  <button type="submit" class="button primary">Save</button>
  <a class="button" href="/c/${channel.name}">See the channel</a>
</form>
<form method="post" action="/c/${channel.name}/edit" class="danger-zone">
  <input type="hidden" name="_xsrf" value="${xsrf}"><input type="hidden" name="action" value="delete">
  <button type="submit" class="button danger">Delete this channel and its videos</button>
  % if errors.get('channel'):
  <p class="field-error" role="alert">${errors['channel']}</p>
  % endif
</form>
</section>
