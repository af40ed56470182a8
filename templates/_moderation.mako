<%doc>A video's block: what its owner and the moderators see, and the moderators' form.</%doc>
<%def name="block_panel(video, block, can_manage)">
% if block is not None and can_manage:
<div class="notice" role="status" id="blocked">
  <p><strong>${'This video waits for a moderator before anyone else sees it.' if block.kind == 2 else 'This video is blocked by the moderators of this server.'}</strong>
  % if block.reason:
  Reason: ${block.reason}.
  % endif
  Only its owner and the moderators see it${'; other servers were told to delete it' if block.unfederated else ''}.</p>
  % if user and not user.is_moderator:
  <p><a href="/report?video=${video.uuid}">Disagree? Tell the moderators</a>: they answer under
  “My reports”.</p>
  % endif
  % if user and user.is_moderator:
  <form method="post" action="/videos/${video.uuid}/unblock" class="inline">
    <input type="hidden" name="_xsrf" value="${xsrf}">
    <button type="submit" class="button">${'Publish it' if block.kind == 2 else 'Unblock'}</button>
  </form>
  % endif
</div>
% elif block is None and user and user.is_moderator:
<details class="moderate" id="block">
  <summary>Block this video</summary>
  <form method="post" action="/videos/${video.uuid}/block">
    <input type="hidden" name="_xsrf" value="${xsrf}">
    <label>Reason, shown to its owner <input name="reason" maxlength="300"></label>
    % if video.is_local:
    <label class="check"><input type="checkbox" name="unfederate"> Also have other servers delete it</label>
    % endif
    <button type="submit" class="button danger">Block</button>
  </form>
</details>
% endif
</%def>
