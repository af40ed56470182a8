<%inherit file="layout.mako"/>
<%namespace file="_mutes.mako" import="mutes"/>
<%block name="title">Muted accounts and servers · ${settings.instance_name}</%block>
<h1>Muted accounts and servers</h1>
% if saved:
<p class="notice" role="status">Saved.</p>
% endif
<p>Videos and comments of the accounts and servers you mute disappear from your lists, search
and notifications on this server. They are not told.</p>
${mutes("/my-mutes", accounts, hosts)}
