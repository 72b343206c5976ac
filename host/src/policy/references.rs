//! Load-time checks that a rule reads only the variables and calls only the
//! functions that exist, so a typo fails when the pack loads, not when a plan
//! happens to reach it.

use std::collections::BTreeSet;
use std::sync::Arc;

use cel::Env;

use cel::common::ast::{EntryExpr, Expr, IdedExpr};

use super::cidr;

/// How deep the walk descends; anything deeper is refused anyway.
const WALK_LIMIT: usize = 1_000;

/// The variables every rule can read.
pub const VARIABLES: &[&str] = &["config", "facts", "plan", "permissions"];

/// Identifiers CEL defines: type names and the null literal's type.
const TYPE_NAMES: &[&str] =
    &["bool", "bytes", "double", "int", "list", "map", "null_type", "string", "type", "uint"];

/// Operators the parser turns into calls.
const OPERATORS: &[&str] = &[
    "_?_:_",
    "_&&_",
    "_||_",
    "!_",
    "-_",
    "_==_",
    "_!=_",
    "_<_",
    "_<=_",
    "_>_",
    "_>=_",
    "_+_",
    "_-_",
    "_*_",
    "_/_",
    "_%_",
    "_[_]",
    "@in",
    "@not_strictly_false",
    "_?._",
    "_[?_]",
];

/// What a rule's expression refers to and how deep it goes.
#[derive(Debug, Default)]
pub struct References {
    /// Variables that are neither known nor bound by a macro, sorted.
    pub variables: BTreeSet<String>,
    /// Functions the environment does not declare, sorted.
    pub functions: BTreeSet<String>,
    /// The depth of the expression tree, macros expanded; evaluation recurses
    /// this deep.
    pub depth: usize,
}

/// Every unknown variable and function `expr` refers to, and its depth.
pub fn unknown(expr: &IdedExpr, env: &Arc<Env>) -> References {
    let mut walk = Walk::default();
    walk.expr(expr, &mut Vec::new());
    let functions =
        walk.functions.into_iter().filter(|name| !is_known_function(name, env)).collect();
    References { variables: walk.variables, functions, depth: walk.deepest }
}

fn is_known_function(name: &str, env: &Arc<Env>) -> bool {
    OPERATORS.contains(&name) || cidr::FUNCTIONS.contains(&name) || is_declared(name, env)
}

/// Whether the environment declares `name`: a context refuses to register a
/// function under a name its environment already uses.
fn is_declared(name: &str, env: &Arc<Env>) -> bool {
    let mut probe = cel::Context::with_env(Arc::clone(env));
    probe.add_function(name, |value: i64| value).is_err()
}

/// The namespace a call's target names: an identifier that is neither a
/// variable nor bound by a macro, such as `lists` in `lists.range(3)`.
fn namespace<'a>(target: &'a IdedExpr, bound: &[String]) -> Option<&'a str> {
    match &target.expr {
        Expr::Ident(name) if !VARIABLES.contains(&name.as_str()) && !bound.contains(name) => {
            Some(name)
        }
        _ => None,
    }
}

#[derive(Default)]
struct Walk {
    variables: BTreeSet<String>,
    functions: BTreeSet<String>,
    depth: usize,
    deepest: usize,
}

impl Walk {
    fn expr(&mut self, expr: &IdedExpr, bound: &mut Vec<String>) {
        self.depth += 1;
        self.deepest = self.deepest.max(self.depth);
        if self.depth <= WALK_LIMIT {
            self.node(expr, bound);
        }
        self.depth -= 1;
    }

    fn node(&mut self, expr: &IdedExpr, bound: &mut Vec<String>) {
        match &expr.expr {
            Expr::Ident(name) => self.ident(name, bound),
            Expr::Call(call) => {
                match call.target.as_deref().and_then(|t| namespace(t, bound)) {
                    // `lists.range(3)`: a function of a namespace, not a member call.
                    Some(space) => self.functions.insert(format!("{space}.{}", call.func_name)),
                    None => {
                        if let Some(target) = &call.target {
                            self.expr(target, bound);
                        }
                        self.functions.insert(call.func_name.clone())
                    }
                };
                call.args.iter().for_each(|arg| self.expr(arg, bound));
            }
            Expr::Select(select) => self.expr(&select.operand, bound),
            Expr::List(list) => list.elements.iter().for_each(|e| self.expr(e, bound)),
            Expr::Map(map) => map.entries.iter().for_each(|e| self.entry(&e.expr, bound)),
            Expr::Struct(object) => object.entries.iter().for_each(|e| self.entry(&e.expr, bound)),
            Expr::Comprehension(comp) => {
                self.expr(&comp.iter_range, bound);
                self.expr(&comp.accu_init, bound);
                let depth = bound.len();
                bound.push(comp.iter_var.clone());
                bound.extend(comp.iter_var2.clone());
                bound.push(comp.accu_var.clone());
                for part in [&comp.loop_cond, &comp.loop_step, &comp.result] {
                    self.expr(part, bound);
                }
                bound.truncate(depth);
            }
            Expr::Literal(_) | Expr::Unspecified => {}
        }
    }

    fn entry(&mut self, entry: &EntryExpr, bound: &mut Vec<String>) {
        match entry {
            EntryExpr::MapEntry(pair) => {
                self.expr(&pair.key, bound);
                self.expr(&pair.value, bound);
            }
            EntryExpr::StructField(field) => self.expr(&field.value, bound),
        }
    }

    fn ident(&mut self, name: &str, bound: &[String]) {
        let known = bound.iter().any(|b| b == name)
            || VARIABLES.contains(&name)
            || TYPE_NAMES.contains(&name)
            || name.starts_with('@');
        if !known {
            self.variables.insert(name.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(source: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        let env = crate::policy::env();
        let program = env.compile(source).unwrap();
        let references = unknown(program.expression(), &env);
        (references.variables, references.functions)
    }

    #[test]
    fn depth_counts_the_tree_not_the_brackets() {
        let env = crate::policy::env();
        let chain = vec!["1"; 200].join(" + ");
        let program = env.compile(&format!("{chain} > 0")).unwrap();
        assert!(unknown(program.expression(), &env).depth > 200);
    }

    #[test]
    fn macro_variables_and_standard_functions_are_known() {
        let (vars, funcs) = check(
            "plan.regions.all(r, r.subnets.exists(s, size(s.name) > 0 && s.name.startsWith('x'))).flatten()",
        );
        assert!(vars.is_empty(), "{vars:?}");
        assert!(funcs.is_empty(), "{funcs:?}");
    }

    #[test]
    fn typos_are_reported() {
        let (vars, funcs) = check("plna.regions.all(r, cidrContain(r.vpc.cidr, x))");
        assert_eq!(vars.into_iter().collect::<Vec<_>>(), ["plna", "x"]);
        assert_eq!(funcs.into_iter().collect::<Vec<_>>(), ["cidrContain"]);
    }

    #[test]
    fn namespaced_extension_functions_are_known_and_misspelt_ones_are_not() {
        let (vars, funcs) = check("lists.range(3).size() == 3 && strings.quote('a') != ''");
        assert!(vars.is_empty() && funcs.is_empty(), "{vars:?} {funcs:?}");
        let (vars, funcs) = check("lists.rnage(3) == []");
        assert!(vars.is_empty(), "{vars:?}");
        assert_eq!(funcs.into_iter().collect::<Vec<_>>(), ["lists.rnage"]);
    }

    #[test]
    fn a_variable_bound_by_one_macro_is_unknown_outside_it() {
        let (vars, _) = check("plan.regions.all(r, true) && r.region == ''");
        assert_eq!(vars.into_iter().collect::<Vec<_>>(), ["r"]);
    }
}
