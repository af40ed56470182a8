"""PeerTube's numbered vocabularies: categories, licences, languages, privacies."""

CATEGORIES = {
    1: "Music", 2: "Films", 3: "Vehicles", 4: "Art", 5: "Sports", 6: "Travels", 7: "Gaming",
    8: "People", 9: "Comedy", 10: "Entertainment", 11: "News & Politics", 12: "How To",
    13: "Education", 14: "Activism", 15: "Science & Technology", 16: "Animals", 17: "Kids",
    18: "Food",
}  # fmt: skip

LICENCES = {
    1: "Attribution", 2: "Attribution - Share Alike", 3: "Attribution - No Derivatives",
    4: "Attribution - Non Commercial", 5: "Attribution - Non Commercial - Share Alike",
    6: "Attribution - Non Commercial - No Derivatives", 7: "Public Domain Dedication",
}  # fmt: skip

LANGUAGES = {
    "ar": "Arabic", "ca": "Catalan", "cs": "Czech", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish", "eu": "Basque",
    "fa": "Persian", "fi": "Finnish", "fr": "French", "gl": "Galician", "he": "Hebrew",
    "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese",
    "ko": "Korean", "nl": "Dutch", "no": "Norwegian", "oc": "Occitan", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sv": "Swedish",
    "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip

PRIVACIES = {1: "Public", 2: "Unlisted", 3: "Private"}

VIDEO_EXTENSIONS = (".mp4", ".webm", ".ogv", ".mkv", ".mov", ".m4v", ".avi", ".m4a", ".mp3",
                    ".ogg", ".flac", ".wav")  # fmt: skip
VIDEO_MIME_PREFIXES = ("video/", "audio/")

PLAYLIST_PRIVACIES = {1: "Public", 2: "Unlisted", 3: "Private"}
