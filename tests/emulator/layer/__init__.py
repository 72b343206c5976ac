"""The EC2 behaviour host depends on that moto 5.2.5 lacks, patched into
moto's backend models and response handlers. server.py applies every module
here before it starts listening; its docstring lists what each one adds."""
