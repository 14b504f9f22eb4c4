"""The instructor's sub-commands, one module each: parse the arguments, call the library,
print. (The lead's command table joins them here.)"""
