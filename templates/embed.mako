<%doc>The embeddable player: no site chrome, just the video and a link back.</%doc>
<%! from app.videos import short_uuid %>
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${video.name} · ${settings.instance_name}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${static('css/shoal.css')}">
</head>
<body class="embed">
<video id="player" controls playsinline preload="metadata" data-master="${master_url}"
% if video.preview:
  poster="/lazy-static/previews/${video.uuid}.jpg"
% endif
  data-views="/api/v1/videos/${video.uuid}/views"></video>
<p id="player-error" class="alert" role="alert" hidden></p>
<a class="embed-title" href="${settings.base_url}/w/${short_uuid(video.uuid)}" target="_blank" rel="noopener">${video.name}</a>
<script src="${static('vendor/hls.js/hls.min.js')}"></script>
<script src="${static('js/player.js')}"></script>
</body>
</html>
