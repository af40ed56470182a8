<%inherit file="layout.mako"/>
<%namespace file="_videos.mako" import="grid"/>
<h1>Recently added</h1>
${grid(videos, more, "No videos yet. Upload the first one!")}
