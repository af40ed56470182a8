<%inherit file="layout.mako"/>
<%namespace file="_videos.mako" import="card"/>
<%! from urllib.parse import quote %>
<%block name="title">Search · ${settings.instance_name}</%block>
<%def name="results(q, videos, channels, job_id)">
<div id="search-results"
% if job_id:
  hx-get="/search/lookup?q=${quote(q)}&amp;job=${job_id}" hx-trigger="every 1s" hx-swap="outerHTML"
% endif
>
% if job_id:
  <p class="state" role="status">Looking up ${q} on its server…</p>
% endif
% if channels:
  <h2>Channels</h2>
  <ul class="channels">
  % for c in channels:
    <li><a href="/c/${c.name if not c.host else c.name + '@' + c.host}">${c.display_name}</a> <span class="handle">@${c.name}@${c.host or settings.host}</span></li>
  % endfor
  </ul>
% endif
% if videos:
  <h2>Videos</h2>
  <section class="grid">
  % for v in videos:
  ${card(v)}
  % endfor
  </section>
% elif q and not job_id and not channels:
  <p class="empty">Nothing found for “${q}”.</p>
% endif
</div>
</%def>
## The header's search box holds the query: one box on the page.
% if q:
<h1>Results for “${q}”</h1>
% else:
<h1>Search</h1>
<p class="meta">Type words, a #tag, a channel's name@server or a video's URL in the search box above.</p>
% endif
% if q and not user and remote:
<p class="meta">Sign in to look up videos and channels on other servers.</p>
% endif
${results(q, videos, channels, job_id)}
