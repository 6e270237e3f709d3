package main

import (
	"context"
	"html/template"
	"net/http"
)

const (
	loginPath          = "/login/username"
	queryAuthRequestID = "authRequestID"
	maxFormBytes       = 16 << 10
)

// The login page: one form with the auth request id hidden, username and password (the
// library's example login, adapted to World users).
var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>Login</title></head>
<body>
<form method="POST" action="` + loginPath + `">
<input type="hidden" name="id" value="{{.ID}}">
<label>Username <input name="username" value="{{.Username}}" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<p>{{.Error}}</p>
<button type="submit">Login</button>
</form>
</body></html>
`))

type loginView struct {
	ID, Username, Error string
}

// login serves GET (the form, username prefilled from login_hint) and POST (the check, then
// back to the library's callback) on loginPath.
type login struct {
	storage  *storage
	callback func(context.Context, string) string
}

func (l *login) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "cannot parse the form", http.StatusBadRequest)
		return
	}
	switch r.Method {
	case http.MethodGet:
		id := r.Form.Get(queryAuthRequestID)
		view := loginView{ID: id}
		if request, err := l.storage.AuthRequestByID(r.Context(), id); err == nil {
			view.Username = request.(*authRequest).loginHint
		}
		render(w, http.StatusOK, view)
	case http.MethodPost:
		id := r.PostForm.Get("id")
		username := r.PostForm.Get("username")
		if err := l.storage.checkLogin(id, username, r.PostForm.Get("password")); err != nil {
			render(w, http.StatusOK, loginView{ID: id, Username: username, Error: err.Error()})
			return
		}
		http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func render(w http.ResponseWriter, status int, view loginView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = loginPage.Execute(w, view)
}
