import tests.jobs.sample_tasks  # noqa: F401 - registers the tasks
