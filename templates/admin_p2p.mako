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
    <textarea name="ice_servers" rows="4" placeholder="stun:stun.example.org:3478"${' aria-invalid="true"' if error_field == 'ice_servers' else ''}>${ice_servers}</textarea></label>
  <p class="meta">None by default: a STUN server learns the address of every viewer who uses it, so
  choose one you trust (your own, for instance). Without one, only viewers who can reach each other
  directly (on the same network) share.</p>
  <fieldset>
    <legend>TURN credentials</legend>
    <p class="meta">A TURN server relays between viewers that NAT keeps apart. Every page with a
    player carries its credentials, so any visitor can read them. A secret shared with the TURN
    server (coturn's <code>use-auth-secret</code> with <code>static-auth-secret</code>) gives each
    page its own, valid for a day; a fixed username and password serve whoever copies them.</p>
    <label>Secret shared with the TURN server
      <input type="password" name="turn_secret" autocomplete="new-password"
        placeholder="${'stored; leave empty to keep it' if has_secret else ''}"${' aria-invalid="true"' if error_field == 'turn_secret' else ''}></label>
    <label>Or a fixed username
      <input type="text" name="turn_username" value="${turn_username}" autocomplete="off"${' aria-invalid="true"' if error_field == 'turn_username' else ''}></label>
    <label>and its password
      <input type="password" name="turn_password" autocomplete="new-password"
        placeholder="${'stored; leave empty to keep it' if has_password else ''}"${' aria-invalid="true"' if error_field == 'turn_password' else ''}></label>
    % if has_secret or has_password or turn_username:
    <label class="check"><input type="checkbox" name="forget_turn"> Forget the TURN credentials</label>
    % endif
  </fieldset>
  % if error:
  <p class="field-error" role="alert">${error}</p>
  % endif
  <button type="submit" class="button primary">Save</button>
</form>
</section>
