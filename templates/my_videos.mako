<%inherit file="layout.mako"/>
<%namespace file="_videos.mako" import="grid"/>
<%block name="title">My videos · ${settings.instance_name}</%block>
<h1>My videos</h1>
% if deleted:
<p class="notice" role="status">“${deleted}” was deleted.</p>
% endif
${grid(videos, more, "You have not uploaded any video yet.")}
