<%inherit file="layout.mako"/>
<%namespace file="_videos.mako" import="grid"/>
<%block name="head">
<link rel="alternate" type="application/rss+xml" title="Videos (RSS)" href="${settings.base_url}/feeds/videos.xml">
<link rel="alternate" type="application/atom+xml" title="Videos (Atom)" href="${settings.base_url}/feeds/videos.atom">
<link rel="alternate" type="application/feed+json" title="Videos (JSON Feed)" href="${settings.base_url}/feeds/videos.json">
</%block>
<h1>Recently added <a class="feed" href="/feeds/videos.xml${'?isLocal=true' if only_local else ''}">RSS</a></h1>
<nav class="tabs" aria-label="Which videos">
  % if only_local:
  <a href="/">All</a>
  <a href="/?scope=local" aria-current="page">Only this server</a>
  % else:
  <a href="/" aria-current="page">All</a>
  <a href="/?scope=local">Only this server</a>
  % endif
</nav>
${grid(videos, more, "No videos yet. Upload the first one!")}
