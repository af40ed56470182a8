<%inherit file="layout.mako"/>
<%namespace file="_videos.mako" import="grid"/>
<%! from app.markdown import render %>
<%block name="title">${account.display_name} · ${settings.instance_name}</%block>
<header class="profile">
  <h1>${account.display_name}</h1>
  <p class="handle">@${account.name}@${account.host or settings.host}</p>
  <div class="description">${render(account.description) | n}</div>
  <p>Channels:
  % for c in channels:
    <a href="/c/${c.name}">${c.display_name}</a>
  % endfor
  </p>
</header>
<h2>Videos</h2>
${grid(videos, more, "No videos here yet.")}
