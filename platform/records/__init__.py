"""The shared records every module builds on: companies, people, notes, tasks, the timeline."""
