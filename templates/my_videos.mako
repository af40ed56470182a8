<%inherit file="layout.mako"/>
<%namespace file="_videos.mako" import="grid"/>
<%block name="title">My videos · ${settings.instance_name}</%block>
<h1>My videos</h1>
${grid(videos, more, "You have not uploaded any video yet.")}
