"""Pages of the activity core: My day and tasks, the calendar and its iCal feed, comments,
notifications and their settings."""
