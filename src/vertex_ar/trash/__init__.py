"""The trash: deleted content, videos, projects and companies wait here (restorable, the viewer
answering 410) until TRASH_RETENTION_DAYS have passed and Beat purges them and their media."""
