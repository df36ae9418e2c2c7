"""Development tools of the embedded default: the API emulators (``devtools.emulator``) and the helpers that
set up a local deployment (``devtools.embedded``). Used by `make run`, `make airflow`, the tests and the
benchmark; never imported by the DAG or by ``include/``, which hold only what production runs."""
