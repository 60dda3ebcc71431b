"""What the DAGs call: task logic and cosmos configuration live here, DAG files stay thin."""
