"""`nija migrate`: a legacy NIJA bot installation read (sources, env), mapped onto the platform's
model (plan), and created at a stage (migrator), with a report for machines and one for people."""
