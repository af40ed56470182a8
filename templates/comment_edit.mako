<%inherit file="layout.mako"/>
<%namespace name="talk" file="_comments.mako"/>
<%block name="title">Edit your comment · ${settings.instance_name}</%block>
<section class="form-page wide">
  <h1>Edit your comment on “${video.name}”</h1>
  ${talk.edit_form(video, c, error)}
</section>
