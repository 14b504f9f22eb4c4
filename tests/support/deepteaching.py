"""deep.TEACHING's own code, verbatim, as source text shared by two tests.

The classes below are copied verbatim from the deep.TEACHING notebook "Activation
Functions (Differentiable Programming)" (K. Strohmenger, code under the MIT licence, see
LICENSE). They are reference code for tests, not course code:

- tests/coursepkg/test_dp_deepteaching.py runs them unchanged on coursepkg.dp (only the
  import differs: `from coursepkg.dp import Model, Node` instead of `from dp import ...`);
- tests/exercises/vg_handins.py hands in Exercise 1 written from this `Optimizer`, with
  the gradient log added (`with_grad_w_logging`);
- tests/coursepkg/test_dp_optim.py puts this `SGD` on top of `coursepkg.dp.Optimizer`.
"""

NET = '''
class Net(Model):    
    def __init__(self, n_features, n_hidden_neurons, n_layers, act_func):
        super(Net, self).__init__()
        self.hidden = self.Linear_Layer(n_features, 10, "h0")
        self.out = self.Linear_Layer(10, 1, "h1")
        
    def loss(self, x, y):
        if not type(y) == Node:
            y = Node(y)
        out = self.forward(x)
        loss = -1 * (y * out.log() + (1 - y) * (1 - out).log())
        return loss.sum()
    
    def forward(self, x):
        if not type(x) == Node:
            x = Node(x)
        x = self.hidden(x).tanh()
        x = self.out(x).sigmoid()
        return x
'''

OPTIMIZER = '''
class Optimizer(object):
    
    def __init__(self, model, x_train=None, y_train=None, hyperparam=dict(), batch_size=128):
        self.model = model
        self.x_train = x_train
        self.y_train = y_train
        self.batch_size=batch_size
        self.hyperparam = hyperparam
        self._set_param()
        self.grad_stores = [] # list of dicts for momentum, etc. 
        
    def random_batch(self):
        n = self.x_train.shape[0]
        indices = np.random.randint(0, n, size=self.batch_size)
        return Node(self.x_train[indices]), Node(self.y_train[indices])

    def train(self, steps=1000, print_each=100):
        raise NotImplementedError()

    def _train(self, steps=1000, num_grad_stores=0, print_each=100):
        assert num_grad_stores in (0,1,2)
        model = self.model
        if num_grad_stores>0:
            x, y = self.random_batch()
            grad, loss = model.get_grad(x, y)
            self.grad_stores = [dict() for _ in range(num_grad_stores)]
        for grad_store in self.grad_stores:
            for g in grad:
                grad_store[g] = np.zeros_like(grad[g])
                
        param = model.get_param()
        print("iteration\\tloss")    
        for i in range(1, steps+1):
            x, y = self.random_batch()
            grad, loss = model.get_grad(x, y)
            if i%print_each==0 or i==1:
                print(i, "\\t",loss.value[0,0])       
                
            for g in grad:
                self._update(param, grad, g, i)
            
            model.set_param(param)
        
        return loss.value
'''

SGD = '''
class SGD(Optimizer):
    
    def __init__(self, model, x_train=None, y_train=None, hyperparam=dict(), batch_size=128):
        super(SGD, self).__init__(model, x_train, y_train, hyperparam, batch_size)
        
    def _set_param(self):
        self.alpha = self.hyperparam.get("alpha", 0.001)

    def _update(self, param, grad, g, i):
        param[g] -= self.alpha * grad[g]    
             
    def train(self, steps=1000, print_each=100):
        return self._train(steps, num_grad_stores=1, print_each=print_each)
'''

# Exercise 1's gradient log as a student adds it to `_train`: a global grad_w of shape
# (n_layers, steps), column i-1 filled right before the update of step i.
_UPDATE = "            for g in grad:\n                self._update(param, grad, g, i)\n"
_LOG = """            j = 0
            for g in grad:
                if g.endswith("_W"):
                    grad_w[j, i-1] = np.mean(np.abs(grad[g]))
                    j += 1

"""


def with_grad_w_logging(optimizer: str = OPTIMIZER) -> str:
    """`optimizer` (the source of class Optimizer) with the gradient log inserted before
    its update loop."""
    if optimizer.count(_UPDATE) != 1:
        raise ValueError("the update loop of _train was not found once")
    return optimizer.replace(_UPDATE, _LOG + _UPDATE)
