"""The EC2 behaviour host depends on that moto 5.2.5 lacks, patched into
moto's backend models and response handlers, and the middleware around
moto's app: the call log and the faults a test switches on. server.py
applies every module here before it starts listening; its docstring lists
what each one adds."""
