"""Social life around videos: comments and ratings (likes, dislikes).

Its public functions are its service; they announce what happened through
app/events.py and know nothing of federation, feeds or notifications.
"""
