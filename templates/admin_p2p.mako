<%inherit file="layout.mako"/>
<%block name="title">Peer-to-peer · ${settings.instance_name}</%block>
<section class="form-page">
<h1>Peer-to-peer</h1>
% if saved:
<p class="notice" role="status">Saved.</p>
% endif
<p>While a video plays, viewers' browsers pass its segments to each other over WebRTC, and this
server only sends what no viewer has. Each segment from a viewer is checked against the video's
SHA-256 hashes. Viewers who exchange segments see each other's IP addresses; signed-in users and
visitors can still turn it off for themselves.</p>
<form method="post" action="/admin/p2p">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <label class="check"><input type="checkbox" name="enabled"${' checked' if enabled else ''}>
    Let viewers share videos peer to peer</label>
  <label>STUN and TURN servers, one per line
    <textarea name="ice_servers" rows="4" placeholder="stun:stun.example.org:3478">${ice_servers}</textarea></label>
  % if error:
  <p class="field-error" role="alert">${error}</p>
  % endif
  <p class="meta">None by default: a STUN server learns the address of every viewer who uses it, so
  choose one you trust (your own, for instance). Without one, only viewers who can reach each other
  directly (on the same network) share.</p>
  <button type="submit" class="button primary">Save</button>
</form>
</section>
