<%doc>Share or embed: the link and the iframe, optionally starting at a moment (?start=1m30s).</%doc>
<%!
from app.videos import short_uuid
from app.serialize import embed_html
%>

<%def name="share(video, start)">
<details class="share" id="share"${' open' if start else '' | n}>
  <summary>Share or embed</summary>
  ${share_body(video, start)}
</details>
</%def>

<%def name="share_body(video, start)">
<% suffix = f"?start={start}" if start else "" %>
<div id="share-body">
  <form method="get" action="/w/${short_uuid(video.uuid)}#share" class="row-form start-at"
    hx-get="/videos/${video.uuid}/share" hx-target="#share-body" hx-swap="outerHTML" hx-trigger="change, submit">
    <label><input type="checkbox" name="at" value="1"${' checked' if start else '' | n}> Start at</label>
    <input name="start" value="${start or '0m0s'}" size="8" aria-label="Start time, like 1m30s">
    <button type="submit" class="button">Update</button>
  </form>
  <label>Link <input readonly id="share-link" value="${settings.base_url}/w/${short_uuid(video.uuid)}${suffix}"></label>
  <button type="button" class="button copy" data-copy="#share-link">Copy the link</button>
  <label>Embed <textarea readonly rows="3" id="share-embed">${embed_html(settings.base_url, str(video.uuid), video.name, 560, 315, start)}</textarea></label>
  <button type="button" class="button copy" data-copy="#share-embed">Copy the embed code</button>
</div>
</%def>
