package parser

import "github.com/riffle-sql/riffle/sql/ast"

// Error and ErrorList are the syntax tree's positioned errors.
type (
	Error     = ast.Error
	ErrorList = ast.ErrorList
)
