<%inherit file="layout.mako"/>
<%namespace file="_video_form.mako" import="fields"/>
<%! from app.videos import short_uuid %>
<%block name="title">Edit ${video.name} · ${settings.instance_name}</%block>
<section class="form-page wide">
<h1>Edit “${video.name}”</h1>
<form method="post" action="/videos/${video.uuid}/edit">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  ${fields(values, errors, categories, licences, languages, privacies)}
  <button type="submit" class="button primary">Save</button>
  <a class="button" href="/w/${short_uuid(video.uuid)}">Cancel</a>
</form>
</section>
