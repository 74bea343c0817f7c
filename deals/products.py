"""The product catalogue's settings pages (admins): the products deals are made of."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from crm.web.decorators import manager_required
from crm.web.forms import errors_to_form

from . import forms, services
from .models import Product


@manager_required
def products(request):
    form = forms.ProductForm(
        request.POST or None,
        initial={"currency": request.tenant.currency, "is_active": True, "unit": "pcs"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_save(actor=request.membership, data=form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Product %(name)s added.") % {"name": product.name})
            return redirect("products")
    rows = Product.objects.order_by("-is_active", "name", "id")
    return render(request, "deals/products.html", {"form": form, "rows": rows})


@manager_required
def product_edit(request, pk):
    product = get_object_or_404(Product.objects.all(), pk=pk)
    form = forms.ProductForm.for_product(product, request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            services.product_delete(actor=request.membership, product=product)
            messages.success(request, _("Product %(name)s deleted.") % {"name": product.name})
            return redirect("products")
        if form.is_valid():
            try:
                services.product_save(
                    actor=request.membership, product=product, data=form.cleaned_data
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("Product saved."))
                return redirect("products")
    return render(request, "deals/product_edit.html", {"form": form, "product": product})
