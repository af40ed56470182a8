<%doc>The video player's markup, shared by the watch and embed pages.

`player` comes from handlers/player.py: whether P2P is offered, the tracker,
the segment hashes, the ICE servers and the import map (printed unchanged:
the page's CSP allows exactly its hash).
</%doc>

<%def name="video_tag(video, master_url, player)">
## Hidden until assets/js/player.js runs; without JavaScript the <noscript> player shows.
<video id="player" controls playsinline preload="metadata" hidden
  data-master="${master_url}"
  data-p2p="${'on' if player['p2p'] else 'off'}"
  % if player['p2p']:
  data-tracker="${player['tracker']}"
  data-segments-sha256="${player['segments_sha256']}"
  data-ice-servers="${player['ice_servers']}"
  % endif
  % if player['poster']:
  poster="${player['poster']}"
  % endif
  % if player['mirrors']:
  data-mirrors="${player['mirrors']}"
  % endif
  data-views="/api/v1/videos/${video.uuid}/views"></video>
<noscript>
  % if player['fallback']:
  <video class="plain" controls playsinline preload="metadata" src="${player['fallback']}"
    % if player['poster']:
    poster="${player['poster']}"
    % endif
  ></video>
  <p class="noscript">Playing one quality without JavaScript. Choosing the quality and
  sharing with other viewers (peer to peer) need JavaScript.</p>
  % else:
  <p class="noscript">This player needs JavaScript.
  % if not video.is_local and video.ap_id:
  <a href="${video.ap_id}" rel="noopener">Watch it on its own server</a>.
  % endif
  </p>
  % endif
</noscript>
</%def>

<%def name="storyboard(video, player)">
<% board = player['storyboard'] %>
% if board:
## A timeline under the picture: hovering or dragging it shows that moment (player.js).
<div id="storyboard" class="storyboard" hidden
  data-src="${board['storagePath']}" data-tile-width="${board['spriteWidth']}"
  data-tile-height="${board['spriteHeight']}" data-tile-duration="${board['spriteDuration']}"
  data-width="${board['totalWidth']}" data-height="${board['totalHeight']}">
  <div class="storyboard-preview" aria-hidden="true" hidden>
    <div class="storyboard-tile"></div><span class="storyboard-time"></span>
  </div>
  <input class="storyboard-seek" type="range" min="0" max="${video.duration or 0}" step="any"
    value="0" aria-label="Seek (shows a preview of each moment)">
</div>
% endif
</%def>

<%def name="p2p_bar(player)">
% if player['p2p']:
## A small indicator; the figures and the setting open on demand (player.js shows it).
<details id="p2p-panel" class="p2p-panel" hidden>
  <summary>P2P<span id="p2p-peers"></span></summary>
  <span id="p2p-stats" class="p2p-stats" aria-live="off" hidden></span>
  <label id="p2p-toggle" class="p2p-toggle" hidden><input type="checkbox" checked> Share with other viewers</label>
</details>
% elif player['p2p_server'] and user and not user.p2p_enabled:
<span class="p2p-stats">Peer-to-peer is off in your <a href="/settings">settings</a>.</span>
% endif
</%def>

<%def name="scripts(player)">
% if player['import_map']:
<script type="importmap">${player['import_map'] | n}</script>
% endif
% for module in player['modules']:
<link rel="modulepreload" href="${module}">
% endfor
<script src="${static('vendor/hls.js/hls.min.js')}"></script>
<script src="${static('js/player.js')}"></script>
</%def>
