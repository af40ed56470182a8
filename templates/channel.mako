<%inherit file="layout.mako"/>
<%namespace file="_videos.mako" import="grid"/>
<%namespace file="_subscribe.mako" import="button"/>
<%! from app.markdown import render %>
<%block name="title">${channel.display_name} · ${settings.instance_name}</%block>
<header class="profile">
  <h1>${channel.display_name}</h1>
  <p class="handle">@${channel.name}@${channel.host or settings.host} · by <a href="/a/${channel.account.name}">${channel.account.display_name}</a></p>
  % if user:
  ${button(channel, subscribed)}
  % endif
  <div class="description">${render(channel.description) | n}</div>
  % if channel.support:
  <div class="support">${render(channel.support) | n}</div>
  % endif
</header>
<h2>Videos</h2>
${grid(videos, more, "This channel has no videos yet.")}
