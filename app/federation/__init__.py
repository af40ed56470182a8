"""ActivityPub federation: signatures, actors, objects, delivery."""
