<%inherit file="layout.mako"/>
<%! from app.markdown import render %>
<%block name="title">About ${about['name']}</%block>
<article class="about">
<h1>${about['name']}</h1>
<p class="lead">${about['shortDescription']}</p>
% if about['description']:
<div class="description">${render(about['description']) | n}</div>
% endif
% for key, heading in (('codeOfConduct', 'Rules'), ('terms', 'Terms'), ('moderationInformation', 'Moderation'), ('administrator', 'Who runs this server')):
% if about[key]:
<h2>${heading}</h2>
<div class="description">${render(about[key]) | n}</div>
% endif
% endfor
% if about['contact']:
<h2>Contact</h2>
% if about['contact'].startswith(('http://', 'https://')):
<p><a href="${about['contact']}" rel="nofollow noopener">${about['contact']}</a></p>
% elif '@' in about['contact']:
<p><a href="mailto:${about['contact']}">${about['contact']}</a></p>
% else:
<p>${about['contact']}</p>
% endif
% endif
<p class="meta">This server runs Shoal and talks with PeerTube, Mastodon and the rest of the fediverse over ActivityPub.
% if user and user.is_admin:
<a href="/admin/about">Edit this page</a>
% endif
</p>
</article>
