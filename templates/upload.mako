<%inherit file="layout.mako"/>
<%namespace file="_video_form.mako" import="fields"/>
<%namespace file="_quota.mako" import="quota_line"/>
<%block name="title">Upload · ${settings.instance_name}</%block>
<section class="form-page wide">
<h1>Upload a video</h1>
<p class="meta quota">${quota_line(quota)}</p>
<form id="upload-form" method="post" action="/videos/upload?_xsrf=${xsrf}" enctype="multipart/form-data"
  data-quota-left="${quota['left']}" data-quota-total="${quota['total']}">
  <p id="upload-error" class="alert" role="alert" hidden></p>
  <label>Video file <input type="file" name="videofile" accept="video/*,audio/*" required></label>
  <label>Channel <select name="channelId">
  % for c in channels:
    <option value="${c.id}">${c.display_name}</option>
  % endfor
  </select></label>
  ${fields(values, errors, categories, licences, languages, privacies)}
  <div class="progress-row">
    <progress id="upload-progress" max="100" value="0" hidden></progress>
    <span id="upload-percent" aria-live="polite"></span>
  </div>
  <button type="submit" class="button primary">Upload</button>
  <button type="button" id="upload-abort" class="button" hidden>Cancel</button>
</form>
</section>
<script src="${static('js/upload.js')}"></script>
