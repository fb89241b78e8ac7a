"""Running and reading training runs: jobs in subprocesses
(:mod:`.jobs`), a dependency scheduler (:mod:`.scheduler`), the records
mmengine logs (:mod:`.scalars`), tables (:mod:`.tables`), the paper-table
comparison (:mod:`.results`) and the quickstart's steps
(:mod:`.quickstart`)."""
from .jobs import (REPO_ROOT, Job, JobError, TestJob, TrainJob,
                   add_job_arguments, job_env, run_all)
from .scalars import (ScalarsError, first_value, last_record_with,
                      last_val_record, last_value, loss_window, loss_windows,
                      metric_values, read_records, scalar_records,
                      scalars_files, values)
from .scheduler import Step, critical_path, run_steps
from .tables import format_number, markdown_table, render_table, text_table

__all__ = [
    'REPO_ROOT', 'Job', 'JobError', 'TestJob', 'TrainJob',
    'add_job_arguments', 'job_env', 'run_all', 'ScalarsError', 'first_value', 'last_record_with',
    'last_val_record', 'last_value', 'loss_window', 'loss_windows',
    'metric_values', 'read_records', 'scalar_records', 'scalars_files',
    'values', 'Step', 'critical_path', 'run_steps', 'format_number',
    'markdown_table', 'render_table', 'text_table'
]
