<%inherit file="layout.mako"/>
<%namespace file="_videos.mako" import="grid"/>
<%namespace file="_subscribe.mako" import="button"/>
<%block name="title">Subscriptions · ${settings.instance_name}</%block>
<h1>Subscriptions</h1>
${grid(videos, more, "No videos from your subscriptions yet. Subscribe to channels here or on other servers (name@server in the search box).")}
<h2>Channels I follow</h2>
% if channels:
<ul class="channels manage">
% for c in channels:
  <li><a href="/c/${c.name if not c.host else c.name + '@' + c.host}">${c.display_name}</a>
    <span class="handle">@${c.name}@${c.host or settings.host}</span>
    ${button(c, True)}</li>
% endfor
</ul>
% else:
<p class="empty">None yet.</p>
% endif
