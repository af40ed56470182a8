<%doc>A video's comments, its like and dislike buttons: every part is a def that HTMX
swaps in place, and every form also works as a plain POST without JavaScript.</%doc>
<%!
from app.videos import short_uuid
%>

<%def name="section(view)">
<% video = view.video %>
<section id="comments" class="comments" aria-labelledby="comments-title">
  <h2 id="comments-title">Comments</h2>
  % if not video.comments_enabled:
  <p class="empty">Comments are turned off for this video.</p>
  % else:
    % if user:
  ${form(video)}
    % else:
  ${visitor(video)}
    % endif
  <ol class="threads" id="comment-list">
    % for t in view.threads:
    ${thread_item(view, t)}
    % endfor
  </ol>
    % if not view.threads:
  <p class="empty" id="no-comments">No comments yet.</p>
    % endif
  ${more_threads(view)}
  % endif
</section>
</%def>

<%def name="visitor(video)">
<div class="remote-comment">
  <p><a href="/login?next=/w/${short_uuid(video.uuid)}">Sign in to comment</a>, or reply from your account on another server.</p>
  <details class="remote-follow">
    <summary class="button">Reply from my server</summary>
    <form method="post" action="/videos/${video.uuid}/remote-interact">
      <input type="hidden" name="_xsrf" value="${xsrf}">
      <label>Your account on another server (Shoal, PeerTube, Mastodon…)
        <input name="handle" placeholder="you@your.server" required></label>
      <button type="submit" class="button">Continue on my server</button>
    </form>
  </details>
</div>
</%def>

<%def name="form(video, parent=None, oob=False)">
<% key = parent.id if parent else 'new' %>
% if parent:
<% target = f"#reply-list-{parent.thread_id or parent.id}" %>
% else:
<% target = "#comment-list" %>
% endif
<form method="post" action="/videos/${video.uuid}/comments" class="comment-form" id="comment-form-${key}"
  hx-post="/videos/${video.uuid}/comments" hx-target="${target}" hx-swap="${'beforeend' if parent else 'afterbegin'}"${' hx-swap-oob="true"' if oob else '' | n}>
  <input type="hidden" name="_xsrf" value="${xsrf}">
  % if parent:
  <input type="hidden" name="parent" value="${parent.id}">
  % endif
  <label>${'Your reply' if parent else 'Add a comment'}
    <textarea name="text" rows="3" maxlength="10000" required></textarea></label>
  <p class="field-error" id="comment-error-${key}" role="alert"></p>
  <button type="submit" class="button primary">${'Reply' if parent else 'Comment'}</button>
  <span class="meta">Markdown works here.</span>
</form>
</%def>

<%def name="reply_box(video, c, oob=False)">
<details class="reply" id="reply-${c.id}"${' hx-swap-oob="true"' if oob else '' | n}>
  <summary>Reply</summary>
  ${form(video, c)}
</details>
</%def>

<%def name="thread_item(view, t)">
<li class="thread" id="thread-${t.id}">
  ${comment(view, t)}
  ${replies(view, t)}
</li>
</%def>

<%def name="replies(view, t)">
<% video = view.video; shown = view.replies.get(t.id, []) %>
<div class="replies" id="replies-${t.id}">
  <ol id="reply-list-${t.id}">
  % for r in shown:
    ${reply_item(view, r)}
  % endfor
  </ol>
  % if view.more_replies(t):
  <a class="more-replies" href="/w/${short_uuid(video.uuid)}?thread=${t.id}#thread-${t.id}"
    hx-get="/videos/${video.uuid}/comments/${t.id}/replies" hx-target="#replies-${t.id}" hx-swap="outerHTML">Load more replies (${t.reply_total - len(shown)} more)</a>
  % endif
</div>
</%def>

<%def name="reply_item(view, r)">
<li>${comment(view, r)}</li>
</%def>

<%def name="comment(view, c)">
<% video = view.video %>
<article class="comment" id="comment-${c.id}">
% if c.is_deleted:
  <p class="meta deleted">This comment was deleted.</p>
% else:
  <header class="meta">
  % if c.account:
    <a class="author" href="${view.account_path(c)}">${c.account.display_name}</a>
    <span class="handle">${view.handle(c)}</span>
  % else:
    <span class="author">Someone</span>
  % endif
    · <a href="/w/${short_uuid(video.uuid)}?thread=${c.thread_id or c.id}#comment-${c.id}"><time datetime="${c.created_at.isoformat()}Z">${c.created_at.strftime('%d %B %Y, %H:%M')}</time></a>
  % if (c.updated_at - c.created_at).total_seconds() > 1:
    · <span>edited</span>
  % endif
  </header>
  <div class="comment-text">${view.html(c) | n}</div>
  <div class="comment-actions">
  % if user and video.comments_enabled:
    ${reply_box(video, c)}
  % endif
  % if view.viewer.may_edit(c):
    <a href="/videos/${video.uuid}/comments/${c.id}/edit" hx-get="/videos/${video.uuid}/comments/${c.id}/edit"
      hx-target="#comment-${c.id}" hx-swap="outerHTML">Edit</a>
  % endif
  % if view.viewer.may_delete(c):
    <form method="post" action="/videos/${video.uuid}/comments/${c.id}/delete" class="inline"
      hx-post="/videos/${video.uuid}/comments/${c.id}/delete" hx-vals='{"confirm": "yes"}'
      hx-confirm="Delete this comment?" hx-target="#comment-${c.id}" hx-swap="outerHTML">
      <input type="hidden" name="_xsrf" value="${xsrf}">
      <button type="submit" class="link">Delete</button>
    </form>
  % endif
  % if user and not view.viewer.may_edit(c):
    <a href="/report?comment=${c.id}" hx-get="/report?comment=${c.id}" hx-target="#comment-${c.id}" hx-swap="beforeend">Report</a>
  % endif
  </div>
% endif
</article>
</%def>

<%def name="edit_form(video, c, error='')">
<form method="post" action="/videos/${video.uuid}/comments/${c.id}/edit" class="comment-form comment" id="comment-${c.id}"
  hx-post="/videos/${video.uuid}/comments/${c.id}/edit" hx-target="this" hx-swap="outerHTML">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <label>Edit your comment
    <textarea name="text" rows="4" maxlength="10000" required>${c.text}</textarea></label>
  % if error:
  <p class="field-error" role="alert">${error}</p>
  % endif
  <button type="submit" class="button primary">Save</button>
  <a class="button" href="/w/${short_uuid(video.uuid)}?thread=${c.thread_id or c.id}#comment-${c.id}">Cancel</a>
</form>
</%def>

<%def name="more_threads(view, oob=False)">
<% video = view.video %>
<div id="more-comments"${' hx-swap-oob="true"' if oob else '' | n}>
% if view.next_start:
  <a class="button" href="/w/${short_uuid(video.uuid)}?comments_from=${view.next_start}#comments"
    hx-get="/videos/${video.uuid}/comments?start=${view.next_start}" hx-target="#comment-list" hx-swap="beforeend">More comments</a>
% endif
</div>
</%def>

<%def name="posted(view, c)">
## The answer to an HTMX post: the new comment, and a fresh form in place of the used one.
% if c.parent_id:
${reply_item(view, c)}
${reply_box(view.video, c.parent, oob=True)}
% else:
${thread_item(view, c)}
${form(view.video, oob=True)}
<p id="no-comments" hx-swap-oob="delete"></p>
% endif
</%def>

<%def name="more_page(view)">
% for t in view.threads:
${thread_item(view, t)}
% endfor
${more_threads(view, oob=True)}
</%def>

<%def name="rating(video, current)">
% if user:
<form method="post" action="/videos/${video.uuid}/rate" class="inline rating" id="rating"
  hx-post="/videos/${video.uuid}/rate" hx-swap="outerHTML">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <button type="submit" name="rating" value="${'none' if current == 'like' else 'like'}"
    aria-pressed="${'true' if current == 'like' else 'false'}" class="button">Like <span class="count">${video.likes}</span></button>
  <button type="submit" name="rating" value="${'none' if current == 'dislike' else 'dislike'}"
    aria-pressed="${'true' if current == 'dislike' else 'false'}" class="button">Dislike <span class="count">${video.dislikes}</span></button>
</form>
% else:
<span class="rating meta" id="rating">${video.likes} ${'like' if video.likes == 1 else 'likes'} · ${video.dislikes} ${'dislike' if video.dislikes == 1 else 'dislikes'}</span>
% endif
</%def>
