"""The departments' portal (`cityops portal`): log in, see the submission calendar, upload a
month's file through the one ingest path, read every problem, fix and resubmit."""
