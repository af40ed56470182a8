<%inherit file="layout.mako"/>
<%namespace file="_videos.mako" import="grid"/>
<%! from app.markdown import render %>
<%block name="title">${account.display_name} · ${settings.instance_name}</%block>
<%block name="head">
<link rel="alternate" type="application/rss+xml" title="${account.display_name} (RSS)" href="/feeds/videos.xml?accountId=${account.id}">
<link rel="alternate" type="application/atom+xml" title="${account.display_name} (Atom)" href="/feeds/videos.atom?accountId=${account.id}">
<link rel="alternate" type="application/feed+json" title="${account.display_name} (JSON Feed)" href="/feeds/videos.json?accountId=${account.id}">
</%block>
<header class="profile">
  <h1>${account.display_name}</h1>
  <p class="handle">@${account.name}@${account.host or settings.host}
    · <a class="feed" href="/feeds/videos.xml?accountId=${account.id}">RSS</a>
  % if user and account.user_id != user.id:
    · <a href="/report?account=${account.id}" hx-get="/report?account=${account.id}" hx-target="#report-slot">Report</a>
  % endif
  </p>
  <div id="report-slot"></div>
  <div class="description">${render(account.description) | n}</div>
  <p>Channels:
  % for c in channels:
    <a href="/c/${c.name if not c.host else c.name + '@' + c.host}">${c.display_name}</a>
  % endfor
  </p>
</header>
<h2>Videos</h2>
${grid(videos, more, "No videos here yet.")}
