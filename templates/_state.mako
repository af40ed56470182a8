<%doc>Transcoding state of a video; polled by HTMX every 2 s until it is published or failed.</%doc>
<%def name="state(video)">
% if video.state in ('uploaded', 'transcoding'):
<div id="video-state" class="state" hx-get="/videos/${video.uuid}/state" hx-trigger="every 2s" hx-swap="outerHTML">
  <p>${'Waiting for a worker to process this video…' if video.state == 'uploaded' else 'Processing this video…'}</p>
  <progress max="100" value="${video.progress}"></progress> <span class="percent">${video.progress}%</span>
  <noscript><p>This page reloads itself every 10 seconds; the video plays here once it is ready.</p></noscript>
</div>
% elif video.state == 'failed':
<div id="video-state" class="state failed" role="alert">
  <p><strong>This video could not be processed.</strong> ${video.state_error}</p>
  <p>The original file is kept: delete the video, or ask an administrator to retry it.</p>
</div>
% else:
<div id="video-state" class="state done"><p>Ready. <a href="/videos/watch/${video.uuid}">Reload to watch</a>.</p></div>
% endif
</%def>
