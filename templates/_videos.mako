<%doc>Video lists: one card, a grid with its "more" button; grid_page is the HTMX fragment.</%doc>
<%!
from app.videos import short_uuid

def duration(seconds):
    seconds = int(seconds or 0)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"

def views(count):
    return "1 view" if count == 1 else f"{count:,} views"

def channel_path(channel):
    return f"/c/{channel.name}" if not channel.host else f"/c/{channel.name}@{channel.host}"
%>
<%def name="card(v)">
<article class="card">
  <a href="/w/${short_uuid(v.uuid)}" class="thumb" aria-label="${v.name}" tabindex="-1">
  % if v.thumbnail:
    <img src="/lazy-static/thumbnails/${v.uuid}.jpg" alt="" loading="lazy" width="280" height="157">
  % else:
    <span class="placeholder">${'Processing' if v.state in ('uploaded', 'transcoding') else ('Failed' if v.state == 'failed' else 'Audio')}</span>
  % endif
  % if v.duration:
    <span class="duration">${duration(v.duration)}</span>
  % endif
  </a>
  <h3><a href="/w/${short_uuid(v.uuid)}">${v.name}</a></h3>
  <p class="meta"><a href="${channel_path(v.channel)}">${v.channel.display_name}</a> · ${views(v.views)}
  % if v.privacy != 1:
   · <span class="badge">${'Unlisted' if v.privacy == 2 else 'Private'}</span>
  % endif
  </p>
</article>
</%def>

<%def name="grid_page(videos, more)">
% for v in videos:
${card(v)}
% endfor
% if more:
<div class="more">
  <a class="button" href="${more}" hx-get="${more}" hx-target="closest .more" hx-swap="outerHTML">More videos</a>
</div>
% endif
</%def>

<%def name="grid(videos, more, empty)">
% if videos:
<section class="grid" id="videos">
${grid_page(videos, more)}
</section>
% else:
<p class="empty">${empty}</p>
% endif
</%def>
