//! Postgres' implicit coercion, common-type selection and function/operator resolution,
//! after the rules of the manual's "Type Conversion" chapter (parse_func.c's
//! `func_select_candidate`, parse_coerce.c's `select_common_type`), over typnames.
//! `unknown` is the type of an untyped literal (a string or NULL).

use super::{PgCatalog, PgFunc};
use crate::sql::catalog::CallError;

const POLY_ELEMENT: &[&str] = &["anyelement", "anynonarray", "anyenum"];
const POLY_COMPAT: &[&str] = &["anycompatible", "anycompatiblenonarray"];

fn is_polymorphic(t: &str) -> bool {
    t.starts_with("any") && t != "any"
}

/// The result of resolving a call: the chosen parameter list and the result typname
/// (None when it cannot be told from types, e.g. `record` or a range of a polymorphic).
#[derive(Debug, Clone)]
pub struct Chosen {
    pub params: Vec<String>,
    pub ret: Option<String>,
}

impl PgCatalog {
    /// A true array type (`_int4`); not `int2vector`/`oidvector`, which only look like one.
    fn is_array(&self, t: &str) -> bool {
        t.starts_with('_') && self.category(t) == b'A' && self.elem(t).is_some()
    }

    /// Whether a value of type `from` converts implicitly to `to` (`can_coerce_type` with
    /// COERCION_IMPLICIT, polymorphic parameters checked per position only).
    pub fn can_coerce(&self, from: &str, to: &str) -> bool {
        if from == to || from == "unknown" || to == "any" {
            return true;
        }
        match to {
            "anyelement" | "anycompatible" => return true,
            "anyarray" | "anycompatiblearray" => return self.is_array(from),
            "anynonarray" | "anycompatiblenonarray" => return !self.is_array(from),
            "anyenum" => return self.types.get(from).is_some_and(|t| t.typtype == b'e'),
            "anyrange" | "anycompatiblerange" => {
                return self.types.get(from).is_some_and(|t| t.typtype == b'r');
            }
            "anymultirange" | "anycompatiblemultirange" => {
                return self.types.get(from).is_some_and(|t| t.typtype == b'm');
            }
            "record" => return self.category(from) == b'C' || from == "record",
            _ => {}
        }
        if self
            .casts
            .get(&(from.to_string(), to.to_string()))
            .is_some_and(|c| *c == b'i')
        {
            return true;
        }
        if let (true, true) = (self.is_array(from), self.is_array(to))
            && let (Some(a), Some(b)) = (self.elem(from), self.elem(to))
        {
            return self.can_coerce(a, b);
        }
        false
    }

    /// Whether an explicit cast (`x::T`, `CAST`) from `from` to `to` exists: a pg_cast entry,
    /// I/O conversion to or from a string type, or element-wise between arrays.
    pub fn can_cast(&self, from: &str, to: &str) -> bool {
        if self.can_coerce(from, to) || self.casts.contains_key(&(from.to_string(), to.to_string()))
        {
            return true;
        }
        if self.category(from) == b'S' || self.category(to) == b'S' {
            return true;
        }
        match (self.elem(from), self.elem(to)) {
            (Some(a), Some(b)) if self.is_array(from) && self.is_array(to) => self.can_cast(a, b),
            _ => false,
        }
    }

    /// `select_common_type`: the type CASE branches, UNION columns, COALESCE arguments or
    /// ARRAY elements resolve to; None when they cannot be matched (different categories,
    /// or an input that does not convert implicitly to the choice).
    pub fn common_type(&self, inputs: &[String]) -> Option<String> {
        let known: Vec<&String> = inputs.iter().filter(|t| *t != "unknown").collect();
        let Some(first) = known.first() else {
            return Some("text".to_string());
        };
        let mut ptype: &str = first;
        for n in &known[1..] {
            let n = n.as_str();
            if n == ptype {
                continue;
            }
            if self.category(n) != self.category(ptype) {
                return None;
            }
            if !self.is_preferred(ptype) && self.can_coerce(ptype, n) && !self.can_coerce(n, ptype)
            {
                ptype = n;
            }
        }
        known
            .iter()
            .all(|t| self.can_coerce(t, ptype))
            .then(|| ptype.to_string())
    }

    /// The parameter list of `f` for `n` arguments (defaults dropped, VARIADIC expanded).
    fn params_for(f: &PgFunc, n: usize) -> Option<Vec<String>> {
        let len = f.args.len();
        if let Some(elem) = &f.variadic {
            if n < len {
                return None;
            }
            let mut p = f.args[..len - 1].to_vec();
            p.extend(std::iter::repeat_n(elem.clone(), n + 1 - len));
            return Some(p);
        }
        (n <= len && n + f.defaults >= len).then(|| f.args[..n].to_vec())
    }

    /// Resolves the polymorphic parameters of `params` for `inputs`; the result type for
    /// `ret`. Err when the polymorphic arguments are inconsistent, Ok(None) when the
    /// result cannot be told (ranges, records).
    fn polymorphic(
        &self,
        params: &[String],
        inputs: &[String],
        ret: &str,
    ) -> Result<Option<String>, ()> {
        let mut elem: Option<String> = None;
        let mut compat: Vec<String> = Vec::new();
        let mut has_elem_family = false;
        let mut has_compat_family = false;
        for (p, i) in params.iter().zip(inputs) {
            let p = p.as_str();
            if POLY_ELEMENT.contains(&p) || p == "anyarray" {
                has_elem_family = true;
            }
            if POLY_COMPAT.contains(&p) || p == "anycompatiblearray" {
                has_compat_family = true;
            }
            if i == "unknown" {
                continue;
            }
            let e = if POLY_ELEMENT.contains(&p) {
                Some(i.clone())
            } else if p == "anyarray" {
                Some(self.elem(i).ok_or(())?.to_string())
            } else {
                None
            };
            if let Some(e) = e {
                match &elem {
                    Some(prev) if *prev != e => return Err(()),
                    _ => elem = Some(e),
                }
            }
            if POLY_COMPAT.contains(&p) {
                compat.push(i.clone());
            } else if p == "anycompatiblearray" {
                compat.push(self.elem(i).ok_or(())?.to_string());
            }
        }
        if has_elem_family && elem.is_none() {
            return Err(());
        }
        if let Some(e) = &elem {
            if params.iter().any(|p| p == "anynonarray") && self.is_array(e) {
                return Err(());
            }
            if params.iter().any(|p| p == "anyenum")
                && self.types.get(e).is_none_or(|t| t.typtype != b'e')
            {
                return Err(());
            }
        }
        let common = if has_compat_family {
            let c = self.common_type(&compat).ok_or(())?;
            if params.iter().any(|p| p == "anycompatiblenonarray") && self.is_array(&c) {
                return Err(());
            }
            Some(c)
        } else {
            None
        };
        Ok(match ret {
            "anyelement" | "anynonarray" | "anyenum" => elem,
            "anyarray" => elem.and_then(|e| self.array_of(&e).map(str::to_string)),
            "anycompatible" | "anycompatiblenonarray" => common,
            "anycompatiblearray" => common.and_then(|e| self.array_of(&e).map(str::to_string)),
            "record" => None,
            r if is_polymorphic(r) => None,
            r => Some(r.to_string()),
        })
    }

    /// Picks one of `cands` (parameter lists) for `inputs`, as Postgres does: an exact
    /// match, else the single candidate every input converts to, else the heuristics of
    /// `func_select_candidate`. Err(true) when no candidate accepts the inputs,
    /// Err(false) when several do and none is best.
    fn select(&self, cands: &[Vec<String>], inputs: &[String]) -> Result<usize, bool> {
        if let Some(i) = cands.iter().position(|c| c == inputs) {
            return Ok(i);
        }
        let mut live: Vec<usize> = (0..cands.len())
            .filter(|&i| {
                cands[i]
                    .iter()
                    .zip(inputs)
                    .all(|(p, t)| self.can_coerce(t, p))
            })
            .collect();
        match live.len() {
            0 => return Err(true),
            1 => return Ok(live[0]),
            _ => {}
        }
        let keep_max = |live: &mut Vec<usize>, score: &dyn Fn(&[String]) -> usize| {
            let best = live.iter().map(|&i| score(&cands[i])).max().unwrap_or(0);
            live.retain(|&i| score(&cands[i]) == best);
        };
        keep_max(&mut live, &|c| {
            c.iter()
                .zip(inputs)
                .filter(|(p, t)| *t != "unknown" && p == t)
                .count()
        });
        if live.len() == 1 {
            return Ok(live[0]);
        }
        keep_max(&mut live, &|c| {
            c.iter()
                .zip(inputs)
                .filter(|(p, t)| {
                    *t != "unknown"
                        && (p == t
                            || (self.category(p) == self.category(t) && self.is_preferred(p)))
                })
                .count()
        });
        if live.len() == 1 {
            return Ok(live[0]);
        }
        let unknowns = inputs.iter().filter(|t| *t == "unknown").count();
        if unknowns == 0 {
            return Err(false);
        }
        if let Some(slots) = self.unknown_slots(cands, &live, inputs) {
            let kept: Vec<usize> = live
                .iter()
                .copied()
                .filter(|&i| {
                    slots.iter().all(|&(pos, cat, preferred)| {
                        let p = &cands[i][pos];
                        self.category(p) == cat && (!preferred || self.is_preferred(p))
                    })
                })
                .collect();
            if !kept.is_empty() {
                live = kept;
            }
            if live.len() == 1 {
                return Ok(live[0]);
            }
        }
        if unknowns < inputs.len() {
            let mut known = inputs.iter().filter(|t| *t != "unknown");
            let first = known.next().cloned().unwrap_or_default();
            if known.all(|t| *t == first) {
                let accepting: Vec<usize> = live
                    .iter()
                    .copied()
                    .filter(|&i| cands[i].iter().all(|p| self.can_coerce(&first, p)))
                    .collect();
                if accepting.len() == 1 {
                    return Ok(accepting[0]);
                }
            }
        }
        Err(false)
    }

    /// For each unknown input: the category the candidates agree on (string wins a
    /// conflict) and whether a preferred type of it is accepted; None on a conflict.
    fn unknown_slots(
        &self,
        cands: &[Vec<String>],
        live: &[usize],
        inputs: &[String],
    ) -> Option<Vec<(usize, u8, bool)>> {
        let mut slots = Vec::new();
        for (pos, t) in inputs.iter().enumerate() {
            if t != "unknown" {
                continue;
            }
            let mut cat: Option<u8> = None;
            let mut preferred = false;
            let mut conflict = false;
            for &i in live {
                let p = &cands[i][pos];
                let (c, pref) = (self.category(p), self.is_preferred(p));
                match cat {
                    None => {
                        cat = Some(c);
                        preferred = pref;
                    }
                    Some(s) if s == c => preferred |= pref,
                    Some(_) if c == b'S' => {
                        cat = Some(c);
                        preferred = pref;
                    }
                    Some(_) => conflict = true,
                }
            }
            let cat = cat?;
            if conflict && cat != b'S' {
                return None;
            }
            slots.push((pos, cat, preferred));
        }
        Some(slots)
    }

    /// Resolves a call of function `name` for argument typnames; the function's kind
    /// comes with the result.
    pub(crate) fn resolve_function(
        &self,
        name: &str,
        inputs: &[String],
    ) -> Result<(Chosen, &PgFunc), CallError> {
        let Some(funcs) = self.funcs.get(name) else {
            return Err(CallError::Unknown {
                suggestions: self.suggestions(name),
            });
        };
        self.resolve_among(name, funcs, inputs)
    }

    /// Resolves a call of `name` among the overloads `funcs` (pg_catalog's or a user
    /// function's).
    pub(crate) fn resolve_among<'f>(
        &self,
        name: &str,
        funcs: &'f [PgFunc],
        inputs: &[String],
    ) -> Result<(Chosen, &'f PgFunc), CallError> {
        let mut cands = Vec::new();
        let mut owners = Vec::new();
        for f in funcs {
            if let Some(p) = Self::params_for(f, inputs.len())
                && self.polymorphic(&p, inputs, &f.ret).is_ok()
            {
                cands.push(p);
                owners.push(f);
            }
        }
        let signatures = || {
            funcs
                .iter()
                .map(|f| format!("{name}({})", self.signature(&f.args)))
                .collect()
        };
        match self.select(&cands, inputs) {
            Ok(i) => {
                let f = owners[i];
                let ret = if !f.out_columns.is_empty() && f.ret == "record" {
                    None
                } else {
                    self.polymorphic(&cands[i], inputs, &f.ret).ok().flatten()
                };
                Ok((
                    Chosen {
                        params: cands[i].clone(),
                        ret,
                    },
                    f,
                ))
            }
            Err(_) => Err(CallError::NoOverload {
                candidates: signatures(),
            }),
        }
    }

    /// Resolves a call in named notation (`f(1, b => 2)`): `inputs` are the typnames of
    /// the positional arguments, then of the named ones (None: unknown, then only the
    /// names are checked), `names` the named ones' names. As Postgres: a name must be an
    /// IN parameter's that no positional argument fills, every parameter left out must
    /// have a default, and the types are matched against each fitting overload's
    /// parameters in the call's order. Ok(None): the result type cannot be told (or a
    /// VARIADIC overload, which is not checked).
    pub(crate) fn resolve_named(
        &self,
        name: &str,
        funcs: &[PgFunc],
        inputs: &[Option<String>],
        names: &[String],
    ) -> Result<Option<String>, CallError> {
        let positional = inputs.len().saturating_sub(names.len());
        let mut fitting = Vec::new();
        for f in funcs {
            if f.variadic.is_some() {
                return Ok(None);
            }
            let count = f.args.len();
            if inputs.len() > count || f.arg_names.is_empty() {
                continue;
            }
            let mut slots: Vec<usize> = (0..positional).collect();
            for n in names {
                match f.arg_names.iter().position(|a| a == n) {
                    Some(i) if i >= positional && !slots.contains(&i) => slots.push(i),
                    _ => break,
                }
            }
            let defaults_from = count.saturating_sub(f.defaults);
            if slots.len() == inputs.len()
                && (0..count).all(|i| i >= defaults_from || slots.contains(&i))
            {
                fitting.push(PgFunc {
                    args: slots.iter().map(|&i| f.args[i].clone()).collect(),
                    arg_names: Vec::new(),
                    defaults: 0,
                    variadic: None,
                    ..f.clone()
                });
            }
        }
        if fitting.is_empty() {
            return Err(CallError::NoOverload {
                candidates: funcs
                    .iter()
                    .map(|f| {
                        let params: Vec<String> = f
                            .args
                            .iter()
                            .enumerate()
                            .map(|(i, t)| {
                                let ty = self.signature(std::slice::from_ref(t));
                                match f.arg_names.get(i).filter(|n| !n.is_empty()) {
                                    Some(n) => format!("{n} {ty}"),
                                    None => ty,
                                }
                            })
                            .collect();
                        format!("{name}({})", params.join(", "))
                    })
                    .collect(),
            });
        }
        let Some(inputs) = inputs.iter().cloned().collect::<Option<Vec<String>>>() else {
            return Ok(None);
        };
        self.resolve_among(name, &fitting, &inputs)
            .map(|(chosen, _)| chosen.ret)
    }

    /// Resolves an operator (`left` None for a prefix operator), trying first an exact
    /// match with an `unknown` side taken as the other side's type.
    pub fn resolve_operator(
        &self,
        name: &str,
        left: Option<&str>,
        right: &str,
    ) -> Result<Chosen, CallError> {
        let opers: Vec<&super::PgOper> = self
            .opers
            .get(name)
            .map(|v| {
                v.iter()
                    .filter(|o| o.left.is_some() == left.is_some())
                    .collect()
            })
            .unwrap_or_default();
        let inputs: Vec<String> = left
            .into_iter()
            .chain([right])
            .map(str::to_string)
            .collect();
        let params = |o: &super::PgOper| -> Vec<String> {
            o.left.iter().cloned().chain([o.right.clone()]).collect()
        };
        if let [l, r] = inputs.as_slice() {
            let same = if l == "unknown" { r } else { l };
            if let Some(o) = opers
                .iter()
                .find(|o| o.left.as_deref() == Some(same.as_str()) && o.right == *same)
                .filter(|_| l == "unknown" || r == "unknown")
            {
                return Ok(Chosen {
                    params: params(o),
                    ret: Some(o.result.clone()),
                });
            }
        }
        let mut cands = Vec::new();
        let mut owners = Vec::new();
        for o in &opers {
            let p = params(o);
            if self.polymorphic(&p, &inputs, &o.result).is_ok() {
                cands.push(p);
                owners.push(*o);
            }
        }
        match self.select(&cands, &inputs) {
            Ok(i) => Ok(Chosen {
                ret: self
                    .polymorphic(&cands[i], &inputs, &owners[i].result)
                    .ok()
                    .flatten(),
                params: cands[i].clone(),
            }),
            Err(_) => Err(CallError::NoOverload {
                candidates: Vec::new(),
            }),
        }
    }

    fn signature(&self, args: &[String]) -> String {
        args.iter()
            .map(|a| self.types.get(a).map_or(a.as_str(), |t| t.format.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Up to three function names closest to `name`.
    pub fn suggestions(&self, name: &str) -> Vec<String> {
        let lower = name.to_lowercase();
        let limit = (lower.chars().count() / 3).max(2);
        let mut scored: Vec<(usize, &str)> = self
            .funcs
            .keys()
            .filter_map(|n| {
                let d = crate::sql::catalog::levenshtein(&lower, n);
                (d <= limit).then_some((d, n.as_str()))
            })
            .collect();
        scored.sort();
        scored
            .into_iter()
            .take(3)
            .map(|(_, n)| n.to_string())
            .collect()
    }
}
