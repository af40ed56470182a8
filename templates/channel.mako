<%inherit file="layout.mako"/>
<%namespace file="_videos.mako" import="grid"/>
<%namespace name="subscribe" file="_subscribe.mako"/>
<%! from app.markdown import render %>
<%block name="title">${channel.display_name} · ${settings.instance_name}</%block>
<%block name="head">
<link rel="alternate" type="application/rss+xml" title="${channel.display_name} (RSS)" href="/feeds/videos.xml?videoChannelId=${channel.id}">
<link rel="alternate" type="application/atom+xml" title="${channel.display_name} (Atom)" href="/feeds/videos.atom?videoChannelId=${channel.id}">
<link rel="alternate" type="application/feed+json" title="${channel.display_name} (JSON Feed)" href="/feeds/videos.json?videoChannelId=${channel.id}">
<link rel="alternate" type="application/rss+xml" title="${channel.display_name} (podcast)" href="/feeds/podcast/videos.xml?videoChannelId=${channel.id}">
</%block>
% if deleted:
<p class="notice" role="status">“${deleted}” was deleted.</p>
% endif
<header class="profile channel-header">
  % if banners:
  <img class="banner" src="${banners[-1]['path']}" alt="" width="1920" height="317">
  % endif
  <div class="who">
    % if avatars:
    <img class="avatar" src="${avatars[min(1, len(avatars) - 1)]['path']}" alt="" width="96" height="96">
    % endif
    <div>
      <h1>${channel.display_name}</h1>
      <p class="handle">@${channel.name}@${channel.host or settings.host} · by <a href="/a/${channel.account.name if channel.account.is_local else channel.account.name + '@' + channel.account.host}">${channel.account.display_name}</a></p>
    </div>
    ${subscribe.panel(channel, subscribed)}
    <a class="feed" href="/feeds/videos.xml?videoChannelId=${channel.id}">RSS</a>
    % if can_edit:
    <a class="button" href="/c/${channel.name}/edit">Customize</a>
    % endif
  </div>
  <div class="description">${render(channel.description) | n}</div>
  % if links:
  <ul class="links">
  % for link in links:
    <li><a href="${link['url']}" rel="me nofollow noopener">${link['label']}</a></li>
  % endfor
  </ul>
  % endif
  % if channel.support:
  <div class="support">${render(channel.support) | n}</div>
  % endif
</header>
<h2>Videos</h2>
% if channel.hide_catalogue and not can_edit:
<p class="meta">This channel shows only its newest videos. Subscribe to get each new one.</p>
% endif
${grid(videos, more, "No videos to show here." if channel.hide_catalogue else "This channel has no videos yet.")}
