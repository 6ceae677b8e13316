"""Throughput model plugins: tokens/s per accelerator for a chip and a workload."""
