<%inherit file="layout.mako"/>
<%namespace file="_videos.mako" import="grid"/>
<h1>Recently added</h1>
<nav class="tabs" aria-label="Which videos">
  <a href="/" ${'' if local else 'aria-current="page"'}>All</a>
  <a href="/?scope=local" ${'aria-current="page"' if local else ''}>Only this server</a>
</nav>
${grid(videos, more, "No videos yet. Upload the first one!")}
