"""Web renditions of uploaded videos (ffmpeg): what phones play, apart from the original."""
