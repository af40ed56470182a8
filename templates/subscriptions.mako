<%inherit file="layout.mako"/>
<%namespace file="_videos.mako" import="grid"/>
<%block name="title">Subscriptions · ${settings.instance_name}</%block>
<h1>Subscriptions</h1>
% if channels:
<p class="meta">Following:
% for c in channels:
  <a href="/c/${c.name if not c.host else c.name + '@' + c.host}">${c.display_name}</a>${'' if loop.last else ','}
% endfor
</p>
% endif
${grid(videos, more, "No videos from your subscriptions yet. Subscribe to channels here or on other servers (name@server).")}
