"""The media pipeline: probe uploads and turn them into PeerTube-style HLS.

A pure library (paths in, files out): ``probe`` checks a source file,
``transcode`` decodes it once and writes every rendition's fragmented MP4,
the playlists, segments-sha256.json and the thumbnail and preview images.
"""
