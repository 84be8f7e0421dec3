"""Where a learner's code runs: kernels, their sandbox, and the processes that start them.

- ``pool``: each worker's pool of kernels started ahead of time inside the sandbox, one submission
  per kernel;
- ``sandbox``: the bubblewrap sandbox a kernel runs in (its provisioner and kernel manager) and the
  safe copy of a submission; ``seccomp_filter``: the system calls its kernel may not make;
  ``cgroups``: one memory cgroup per kernel (a root grader); ``memory_watch``: the same cap, watched
  from outside, where no cgroup can be made (an ordinary user);
- ``zygote``: one process per worker that has imported the lessons' modules and read MNIST once,
  and forks kernels into the namespaces bwrap made for each; ``fork_provisioner``: the same fork
  without the sandbox; ``warm_kernel``: a kernel started by exec that makes the same imports;
- ``output``: the pipe that carries a kernel's own output into the log; ``ipc``: unix sockets
  instead of TCP ports for the kernels started without the sandbox.

Nothing here knows about nbgrader, the judge or the class grader; those import this layer, never
the other way round (tests/test_layers.py). A kernel itself runs only ``warm_kernel`` and the forked
half of ``zygote``.
"""
