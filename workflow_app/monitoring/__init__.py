"""What operators watch: health and readiness for load balancers, Prometheus metrics, the request log."""
