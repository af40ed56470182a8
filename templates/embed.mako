<%doc>The embeddable player: no site chrome, just the video and a link back.</%doc>
<%! from app.videos import short_uuid %>
<%namespace name="player_ui" file="_player.mako"/>
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:platform" content="PeerTube">
<title>${video.name} · ${settings.instance_name}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${static('css/shoal.css')}">
</head>
<body class="embed">
${player_ui.video_tag(video, master_url, player)}
<p id="player-error" class="alert" role="alert" hidden></p>
<a class="embed-title" href="${settings.base_url}/w/${short_uuid(video.uuid)}" target="_blank" rel="noopener">${video.name}</a>
<div class="embed-p2p">${player_ui.p2p_bar(player)}</div>
${player_ui.scripts(player)}
</body>
</html>
