"""Speech and sound: Vietnamese text normalisation, TTS engines, composition and levels.

Text and files in, files out: this package knows nothing of the database or the schedule.
"""
